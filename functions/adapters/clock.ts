import { type Clock, systemClock } from '#domain/ports/clock.js';
import { defineValue } from '#wiring/define.js';

/** The system clock, as every function builds it. */
export const clock = defineValue<Clock>({ env: [], build: () => systemClock });
