// Circuit breakers per upstream (provider, and provider/model): open upstreams are skipped at no cost.

export type BreakerState = "closed" | "open" | "half_open";

export interface BreakerOptions {
  failureThreshold: number;
  cooldownMs: number;
  now?: () => number;
}

interface Circuit {
  failures: number;
  openedAt: number;
  state: BreakerState;
  /** Half-open lets one probe through at a time. */
  probing: boolean;
}

export class Breakers {
  private readonly circuits = new Map<string, Circuit>();
  private readonly now: () => number;

  constructor(private readonly options: BreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** May a request go to this upstream now? A half-open circuit admits one probe. */
  allow(key: string): boolean {
    const circuit = this.circuits.get(key);
    if (!circuit || circuit.state === "closed") return true;
    if (circuit.state === "open") {
      if (this.now() - circuit.openedAt < this.options.cooldownMs) return false;
      circuit.state = "half_open";
      circuit.probing = false;
    }
    if (circuit.probing) return false;
    circuit.probing = true;
    return true;
  }

  /** Read-only view for /ready and policies: does not consume a half-open probe. */
  state(key: string): BreakerState {
    const circuit = this.circuits.get(key);
    if (!circuit) return "closed";
    if (circuit.state === "open" && this.now() - circuit.openedAt >= this.options.cooldownMs)
      return "half_open";
    return circuit.state;
  }

  success(key: string): void {
    const circuit = this.circuits.get(key);
    if (circuit) this.circuits.delete(key);
  }

  failure(key: string): void {
    let circuit = this.circuits.get(key);
    if (!circuit) {
      circuit = { failures: 0, openedAt: 0, state: "closed", probing: false };
      this.circuits.set(key, circuit);
    }
    circuit.failures += 1;
    if (circuit.state === "half_open" || circuit.failures >= this.options.failureThreshold) {
      circuit.state = "open";
      circuit.openedAt = this.now();
      circuit.probing = false;
    }
  }

  /** Every circuit that is not closed, for /ready. */
  snapshot(): Record<string, BreakerState> {
    const out: Record<string, BreakerState> = {};
    for (const key of this.circuits.keys()) {
      const state = this.state(key);
      if (state !== "closed") out[key] = state;
    }
    return out;
  }
}
