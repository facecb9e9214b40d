// The per-decision deadline: wall time first (cheap), confirmed by this thread's CPU time.

/**
 * CPU time of this thread in ms. Wall time alone made good policies time out when the host was starved or
 * descheduled; the process clock counts the engine's own background compiler threads. This clock advances
 * in steps of up to ~4 ms here, so it only confirms an overrun the wall clock has already seen.
 */
const threadCpuMs: () => number =
  typeof process.threadCpuUsage === "function"
    ? () => {
        const usage = process.threadCpuUsage();
        return (usage.user + usage.system) / 1000;
      }
    : () => performance.now(); // Runtimes without a thread clock fall back to wall time.

/**
 * The deadline the interrupt handler consults. A call is stopped once it has used its budget in both wall
 * time and thread CPU time (so a starved or descheduled host does not fail good policies), or 20 times
 * its budget in wall time whatever the CPU says. The cheap wall-clock test comes first.
 */
export class Clock {
  private wallDeadline = Number.POSITIVE_INFINITY;
  private hardDeadline = Number.POSITIVE_INFINITY;
  private cpuDeadline = Number.POSITIVE_INFINITY;
  private cpuStart = 0;
  /** The last thread-CPU reading and the wall time it was taken at (see arm). */
  private cpuSample = 0;
  private cpuSampledAt = Number.NEGATIVE_INFINITY;

  arm(budgetMs: number): void {
    const now = performance.now();
    this.wallDeadline = now + budgetMs;
    this.hardDeadline = now + budgetMs * 20;
    // Reading the thread clock is a system call (~0.4 µs, a measurable share of a decision) and it advances in
    // ticks of up to ~4 ms anyway. A reading taken under 1 ms of wall time ago, plus that wall time, stands in
    // for the start (CPU time never runs ahead of wall time on one thread): it moves the CPU budget by less
    // than a tick, and the wall deadline still has to pass first.
    if (now - this.cpuSampledAt > CPU_SAMPLE_MS) {
      this.cpuSample = threadCpuMs();
      this.cpuSampledAt = now;
    }
    this.cpuStart = this.cpuSample + (now - this.cpuSampledAt);
    this.cpuDeadline = this.cpuStart + budgetMs;
  }

  disarm(): void {
    this.wallDeadline = this.hardDeadline = this.cpuDeadline = Number.POSITIVE_INFINITY;
  }

  /** Whether the budget is spent, read after a call that returned (builtins may skip the interrupt handler). */
  overrun(budgetMs: number): boolean {
    return performance.now() > this.wallDeadline && this.used() > budgetMs;
  }

  /** Thread CPU ms used since the last arm(). */
  used(): number {
    return this.sample() - this.cpuStart;
  }

  /**
   * Consulted by QuickJS's interrupt handler, i.e. every few thousand bytecode operations: a performance.now()
   * until the wall-clock budget is spent, then also the thread clock.
   */
  expired(): boolean {
    const now = performance.now();
    if (now <= this.wallDeadline) return false;
    return now > this.hardDeadline || this.sample() > this.cpuDeadline;
  }

  private sample(): number {
    this.cpuSample = threadCpuMs();
    this.cpuSampledAt = performance.now();
    return this.cpuSample;
  }
}

/** How old (in wall ms) a thread-CPU reading may be for arm() to reuse it. */
const CPU_SAMPLE_MS = 1;
