/**
 * Bad input to a planning computation (forecast, shifts, flow walk, simulation): `input` names
 * the field or path that is wrong, so the API can answer 422 with it and the CLI can say it.
 */
export class PlanningInputError extends RangeError {
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(`${input}: ${message}`);
  }
}
