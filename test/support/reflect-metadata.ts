// Minimal Reflect metadata polyfill. @peculiar/x509 2.x loads tsyringe, which
// refuses to start without Reflect.getMetadata (see the x509 README, "Reflect
// Polyfill Required"), and no polyfill package is installed. tsyringe only
// reads and writes plain per-target metadata, which this provides.
// Import this module before anything that imports @peculiar/x509.
type MetadataStore = Map<unknown, unknown>;

interface ReflectMetadata {
  getMetadata?: (key: unknown, target: object) => unknown;
  getOwnMetadata?: (key: unknown, target: object) => unknown;
  defineMetadata?: (key: unknown, value: unknown, target: object) => void;
}

const reflect = Reflect as typeof Reflect & ReflectMetadata;

if (typeof reflect.getMetadata !== 'function') {
  const stores = new WeakMap<object, MetadataStore>();
  const getOwnMetadata = (key: unknown, target: object): unknown => stores.get(target)?.get(key);
  reflect.getOwnMetadata = getOwnMetadata;
  reflect.defineMetadata = (key, value, target) => {
    let store = stores.get(target);
    if (!store) {
      store = new Map();
      stores.set(target, store);
    }
    store.set(key, value);
  };
  // Walks the prototype chain like reflect-metadata does.
  reflect.getMetadata = (key, target) => {
    for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
      const store = stores.get(t);
      if (store?.has(key)) return store.get(key);
    }
    return undefined;
  };
}
