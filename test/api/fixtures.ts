/** Small documents the API tests push: a valid flow (by name) and one with a dangling target. */
export function helloFlow(name: string, text = '您好，感謝您的來電。'): unknown {
  return {
    version: 1,
    name,
    start: 'hello',
    nodes: {
      hello: { type: 'say', prompt: { text }, next: 'bye' },
      bye: { type: 'hangup' },
    },
  };
}

/** Two problems: menu option 3 names no node, and node `lost` cannot be reached. */
export function brokenFlow(name: string): unknown {
  return {
    version: 1,
    name,
    start: 'menu1',
    nodes: {
      menu1: { type: 'menu', prompt: { text: '請按1。' }, options: { '1': 'bye', '3': 'nowhere' } },
      bye: { type: 'hangup' },
      lost: { type: 'hangup' },
    },
  };
}
