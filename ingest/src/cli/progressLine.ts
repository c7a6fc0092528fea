import { clearLine, cursorTo } from 'node:readline';

/**
 * Progress for a long command, on stderr so stdout stays the result: one line rewritten in
 * place on a terminal, a line per update otherwise (a log or a pipe keeps every step).
 *
 * @example
 * const progress = createProgressLine();
 * progress.update('rescored 200 leads');
 * progress.done();
 */
export function createProgressLine(stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr) {
  let open = false;
  return {
    update(text: string) {
      if (!stream.isTTY) {
        stream.write(`${text}\n`);
        return;
      }
      cursorTo(stream, 0);
      clearLine(stream, 1);
      stream.write(text);
      open = true;
    },
    /** Ends the rewritten line, so what follows starts on a line of its own. */
    done() {
      if (open) stream.write('\n');
      open = false;
    },
  };
}
