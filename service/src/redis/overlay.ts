/** `target` with some methods replaced; every other method stays bound to it (node-redis relies on `this`). */
export function overlay<T extends object>(target: T, overrides: Record<string, (...args: never[]) => unknown>): T {
  return new Proxy(target, {
    get(t, prop) {
      if (typeof prop === 'string' && Object.hasOwn(overrides, prop)) return overrides[prop];
      const value: unknown = Reflect.get(t, prop, t);
      return typeof value === 'function' ? value.bind(t) : value;
    },
  });
}
