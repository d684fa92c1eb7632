// Reading parsed JSON whose shape nobody promised (a user's data.json).

/** `data[key]` when it is an object, else an empty one: a data.json section that may be absent or null. */
export function sectionOf(data: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = data[key];
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
}
