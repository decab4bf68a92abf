// The `cache` object isomorphic-git takes on every call, with a workaround for its delta cache.
//
// isomorphic-git 1.44 sets `readDepth = 0` on a pack index built from a received pack, but not on
// one loaded from an `.idx` file (GitPackIndex.fromIdx). `readDepth++` then yields NaN, the
// `readDepth > 3` test that decides what to keep is never true, and every read of a deltified
// object inflates its whole delta chain again: on a 5,000-file clone ~110,000 inflates instead of
// ~7,000. We set the field when the index lands in the cache, which is all the upstream fix does.

type PackIndexLike = { readDepth?: number } | undefined;

/** A Map that repairs each pack index as isomorphic-git stores its promise (the promise itself is kept). */
class PackIndexMap extends Map<unknown, unknown> {
  override set(key: unknown, value: unknown): this {
    if (value instanceof Promise) {
      value.then(
        (index: PackIndexLike) => {
          if (index && index.readDepth === undefined) index.readDepth = 0;
        },
        () => undefined, // isomorphic-git handles a failed load itself
      );
    }
    return super.set(key, value);
  }
}

/** A fresh cache object to pass as `cache` to every isomorphic-git call on one gitdir. */
export function createPackCache(): object {
  return new Proxy(
    {},
    {
      set(target, key, value) {
        const repaired = typeof key === 'symbol' && key.description === 'PackfileCache' && value instanceof Map && !(value instanceof PackIndexMap);
        return Reflect.set(target, key, repaired ? new PackIndexMap(value) : value);
      },
    },
  );
}
