/**
 * The API's availability as a client sees it: `/readyz` at the API address, verified with the
 * cluster CA. `readyz()` asks once (resume decisions, waits); `AvailabilityProbe` polls every 50 ms
 * through a hand-off and measures the gap, the time no API server answered ready.
 */
import https from 'node:https';

export interface ReadyzTarget {
  /** Where to dial. */
  server: URL;
  /** The name the serving certificate must carry (the kubeconfig's host). */
  servername: string;
  ca: string | Buffer;
}

/** One /readyz; true only for a 200 from a server whose certificate the cluster CA signed. */
export function readyz(
  target: ReadyzTarget,
  opts: { timeoutMs?: number; agent?: https.Agent } = {},
): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get(
      {
        hostname: target.server.hostname.replace(/^\[|\]$/g, ''),
        port: target.server.port || 443,
        path: '/readyz',
        ca: target.ca,
        servername: target.servername,
        agent: opts.agent ?? false,
        signal: AbortSignal.timeout(opts.timeoutMs ?? 2000),
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 200));
        res.on('error', () => resolve(false));
      },
    );
    req.on('error', () => resolve(false));
  });
}

export interface Gap {
  /** What was measured (e.g. "hand-off 1"). */
  name: string;
  /** Milliseconds no server answered ready between the start and end marks. */
  ms: number;
  /** Polls made. */
  polls: number;
}

/** Polls /readyz every `intervalMs` from start() to stop(); gap() is the unready time between them. */
export class AvailabilityProbe {
  private timer?: NodeJS.Timeout;
  private downSince?: number;
  private downMs = 0;
  private polls = 0;
  private inFlight = false;
  private readonly agent = new https.Agent({ keepAlive: true });

  constructor(
    private readonly target: ReadyzTarget,
    private readonly intervalMs = 50,
  ) {}

  start(): void {
    this.downMs = 0;
    this.polls = 0;
    this.downSince = undefined;
    const tick = async () => {
      if (this.inFlight) return;
      this.inFlight = true;
      // A poll that times out counts as down for as long as it took: a hung API is not an answering one.
      const ok = await readyz(this.target, { timeoutMs: 1000, agent: this.agent });
      this.inFlight = false;
      if (!this.timer) return;
      this.polls++;
      const now = Date.now();
      if (!ok && this.downSince === undefined) this.downSince = now;
      if (ok && this.downSince !== undefined) {
        this.downMs += now - this.downSince;
        this.downSince = undefined;
      }
    };
    this.timer = setInterval(() => void tick(), this.intervalMs);
    void tick();
  }

  /** Stops polling and returns the gap measured since start(). */
  stop(name: string): Gap {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.downSince !== undefined) this.downMs += Date.now() - this.downSince;
    this.downSince = undefined;
    this.agent.destroy();
    return { name, ms: this.downMs, polls: this.polls };
  }
}
