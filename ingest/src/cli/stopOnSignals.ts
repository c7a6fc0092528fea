const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Stops a running server gracefully on SIGTERM or SIGINT: it stops accepting, finishes the
 * requests in flight, commits what is queued and exits 0 (1 when closing fails); a second
 * signal exits at once, for an operator who will not wait.
 *
 * @example
 * stopOnSignals(await startIngest(settings), 'leadbeam ingest');
 */
export function stopOnSignals(running: { close(): Promise<void> }, name: string): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.error(`${name}: ${signal} again, exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    console.log(`${name}: ${signal}, finishing requests in flight and committing queued events`);
    running.close().then(
      () => {
        console.log(`${name}: stopped; everything acknowledged is stored`);
        process.exit(0);
      },
      (err) => {
        console.error(`${name}: stopping failed: ${errorText(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
