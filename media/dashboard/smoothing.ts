/**
 * Exponential moving average with debiasing (as TensorBoard smooths scalars): early points are not pulled
 * towards zero. Non-finite and missing values are passed through and do not disturb the average.
 */
export function smooth(values: ReadonlyArray<number | null>, weight: number): Array<number | null> {
  if (weight <= 0) return values.slice();
  let last = 0;
  let count = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return v;
    last = last * weight + (1 - weight) * v;
    count++;
    const debias = 1 - Math.pow(weight, count);
    return last / debias;
  });
}
