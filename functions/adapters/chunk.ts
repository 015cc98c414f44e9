/** Splits items into runs of at most `size` (the batch limits of BatchWriteItem, BatchGetItem and PutEvents). */
export const chunk = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};
