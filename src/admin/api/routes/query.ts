/** Query-string pieces: everything in a query string arrives as text. */
import { z } from 'zod';

export const wholeNumber = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().max(max, `must be at most ${max}`));
