// Time source for everything with a deadline, so that tests can shorten time
// through configuration instead of sleeping for minutes.
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
