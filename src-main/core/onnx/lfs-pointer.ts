const LFS_HEADER = 'version https://git-lfs.github.com/spec/';

/**
 * A Git LFS pointer file: "version https://git-lfs.github.com/spec/v1\noid sha256:…\nsize …", what a
 * clone without `git lfs` (or before `git lfs pull`) holds in place of a large file.
 */
export function isLfsPointer(bytes: Uint8Array): boolean {
  if (bytes.byteLength > 1024 || bytes.byteLength < LFS_HEADER.length) return false;
  return new TextDecoder().decode(bytes.subarray(0, LFS_HEADER.length)) === LFS_HEADER;
}
