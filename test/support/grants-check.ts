/**
 * After each test file: every AWS call its stacks' functions sent must be allowed by that function's synthesized
 * IAM policy. DynamoDB Local enforces no IAM, so without this a missing grant passes every test and fails in the cloud.
 */
import { afterAll, expect } from 'vitest';
import { describeUncovered, startedStacks } from './stack.js';

afterAll(() => {
  for (const stack of startedStacks) {
    const uncovered = stack.uncoveredCalls();
    expect(uncovered, describeUncovered(uncovered)).toEqual([]);
  }
});
