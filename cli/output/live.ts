import type { Output } from '../io.ts';

const CURSOR_UP_TO_LINE_START = (lines: number) => `\x1b[${lines}F`;
const CLEAR_TO_END_OF_SCREEN = '\x1b[J';

/**
 * A block of lines at the bottom of a terminal, redrawn in place: watch's status lines and the
 * progress bars. Each line is cut to the terminal's width, since a wrapped line would throw off
 * the count of lines to move back up over.
 */
export class LiveBlock {
  readonly #output: Output;
  #drawn = 0;

  constructor(output: Output) {
    this.#output = output;
  }

  draw(lines: readonly string[]): void {
    const width = Math.max((this.#output.columns ?? 80) - 1, 10);
    const text = lines.map((line) => (line.length > width ? `${line.slice(0, width - 1)}…` : line)).join('\n');
    this.#output.write(`${this.#home()}${text}\n`);
    this.#drawn = lines.length;
  }

  /** Takes the block off the screen, so what is printed next starts where it began. */
  clear(): void {
    if (this.#drawn > 0) this.#output.write(this.#home());
    this.#drawn = 0;
  }

  #home(): string {
    return this.#drawn > 0 ? `${CURSOR_UP_TO_LINE_START(this.#drawn)}${CLEAR_TO_END_OF_SCREEN}` : CLEAR_TO_END_OF_SCREEN;
  }
}

/**
 * `[██████░░░░░░░░] 12/40 label`. Written here rather than taken from cli-progress: its last
 * release is years old, its multi-bar cannot show watch's per-job status lines, and the bar
 * itself is this one line on LiveBlock.
 */
export function progressBar(done: number, total: number, label = '', width = 30): string {
  const filled = total === 0 ? width : Math.round((Math.min(done, total) / total) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${done}/${total}${label === '' ? '' : ` ${label}`}`;
}
