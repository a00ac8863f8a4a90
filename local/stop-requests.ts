/**
 * What each request to stop `npm start` does. The first, whatever it is, stops the stack. While it
 * stops, a second Ctrl-C or SIGTERM ends the process at once (the user insists); a hang-up or a
 * launcher gone does not, since they come with the first signal: a closed terminal hangs up npm and
 * the stack together, and npm's end then trips the launcher watch.
 */
export type StopRequest = 'interrupt' | 'hangup' | 'launcher-gone';

export function stopAction(alreadyStopping: boolean, request: StopRequest): 'stop' | 'exit' | 'ignore' {
  if (!alreadyStopping) return 'stop';
  return request === 'interrupt' ? 'exit' : 'ignore';
}
