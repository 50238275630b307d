/**
 * A count with its pt-BR noun, agreeing in number: "1 fixo", "0 fixos",
 * "2 fixos" (zero takes the plural in Portuguese). Numbers in pt-BR format.
 */
export function plural(count: number, one: string, many: string): string {
  return `${count.toLocaleString("pt-BR")} ${count === 1 ? one : many}`;
}
