/**
 * The Minijail layout's BST dispatch reproduces the reference's search
 * (policy-language.md §7.3), which takes time in the cube of the number of
 * syscall ranges: about 1.7 s for 512 ranges here, 10 s for 1,000, hours for
 * 4,000. The shipped arches have at most about 410 syscalls, so only an
 * --arch-json table with more can reach the limit; past it jail-run refuses
 * rather than hang, and names the two ways that still compile.
 */
export const MINIJAIL_BST_RANGE_LIMIT = 512;

export class DispatchTooLargeError extends Error {
  constructor(
    readonly ranges: number,
    readonly limit = MINIJAIL_BST_RANGE_LIMIT,
    /** The policy being compiled, when known. */
    readonly file?: string,
  ) {
    super(
      `${file === undefined ? '' : `${file}: `}the minijail layout's BST dispatch over ${ranges} syscall ranges is too slow to plan ` +
        `(the reference's search is cubic; limit ${limit}); use --layout optimized or --optimization-strategy linear`,
    );
    this.name = 'DispatchTooLargeError';
  }
}
