/**
 * Progress of long work on stdout: one line redrawn in place on a terminal; through a pipe or
 * into a log, a line when a stage starts or ends and at most one every few seconds between, so
 * a batch over a million orders neither looks stuck nor floods the log.
 */
const PIPE_INTERVAL_MS = 5000;

export interface Progress {
  /** A reporter for one stage, e.g. `stage('orders')(done, total)`. */
  stage(label: string): (done: number, total: number) => void;
  /** Ends the line in place, before a summary is printed. */
  end(): void;
}

export function createProgress(out: NodeJS.WriteStream = process.stdout): Progress {
  const tty = out.isTTY === true;
  let current = '';
  let lastLineAt = 0;
  let open = false;
  return {
    stage(label) {
      return (done, total) => {
        const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
        const line = `  ${label} ${done}/${total} (${pct}%)`;
        if (tty) {
          if (current !== label && open) out.write('\n');
          out.write(`\r${line}`);
          open = true;
        } else {
          const now = Date.now();
          if (current === label && done < total && now - lastLineAt < PIPE_INTERVAL_MS) return;
          out.write(`${line}\n`);
          lastLineAt = now;
        }
        current = label;
      };
    },
    end() {
      if (open) out.write('\n');
      open = false;
    },
  };
}
