/**
 * Brazil's area codes (DDD), as assigned by Anatel's national numbering plan.
 * 67 codes; the gaps (20, 23, 25, 26, 29, 30, 36, 39, 40, 50, 52, 56–60, 70,
 * 72, 76, 78, 80, 90) have never been assigned.
 */
const VALID_DDDS = [
  // São Paulo
  11, 12, 13, 14, 15, 16, 17, 18, 19,
  // Rio de Janeiro, Espírito Santo
  21, 22, 24, 27, 28,
  // Minas Gerais
  31, 32, 33, 34, 35, 37, 38,
  // Paraná, Santa Catarina
  41, 42, 43, 44, 45, 46, 47, 48, 49,
  // Rio Grande do Sul
  51, 53, 54, 55,
  // Centro-Oeste, Tocantins, Acre, Rondônia
  61, 62, 63, 64, 65, 66, 67, 68, 69,
  // Bahia, Sergipe
  71, 73, 74, 75, 77, 79,
  // Nordeste
  81, 82, 83, 84, 85, 86, 87, 88, 89,
  // Norte, Maranhão
  91, 92, 93, 94, 95, 96, 97, 98, 99,
] as const;

/** Indexed by the DDD itself so the hot path is one bounds check and one load. */
const DDD_TABLE = new Uint8Array(100);
for (const ddd of VALID_DDDS) DDD_TABLE[ddd] = 1;

/** Every valid DDD, ascending. */
export const BRAZIL_DDDS: readonly number[] = VALID_DDDS;

/** True when `ddd` is one of Brazil's 67 area codes. */
export function isValidDdd(ddd: number): boolean {
  return ddd >= 11 && ddd <= 99 && DDD_TABLE[ddd] === 1;
}
