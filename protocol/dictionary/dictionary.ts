import type { DictionaryModule, ResolvedAttribute } from './types.ts';

function vendorKey(vendorId: number, type: number): string {
  return `${vendorId}:${type}`;
}

export class DictionaryError extends Error {
  readonly code = 'RADMFA_DICTIONARY_CONFLICT';
}

/** Attribute lookup by name (case-insensitive, as FreeRADIUS) and by number. Immutable once built. */
export class Dictionary {
  private readonly byName = new Map<string, ResolvedAttribute>();
  private readonly byStandardType = new Map<number, ResolvedAttribute>();
  private readonly byVendorType = new Map<string, ResolvedAttribute>();
  private readonly vendorNames = new Map<number, string>();

  constructor(readonly modules: readonly DictionaryModule[]) {
    for (const module of modules) {
      for (const spec of module.attributes) this.add({ ...spec, source: module.source });
      for (const vendor of module.vendors ?? []) {
        this.vendorNames.set(vendor.id, vendor.name);
        for (const spec of vendor.attributes) {
          this.add({ ...spec, vendorId: vendor.id, vendorName: vendor.name, source: module.source });
        }
      }
    }
  }

  private add(attr: ResolvedAttribute): void {
    const nameKey = attr.name.toLowerCase();
    if (this.byName.has(nameKey)) {
      throw new DictionaryError(`attribute ${attr.name} is defined twice (second time by ${attr.source})`);
    }
    this.byName.set(nameKey, attr);
    if (attr.vendorId === undefined) {
      if (this.byStandardType.has(attr.type)) {
        throw new DictionaryError(
          `attribute number ${attr.type} is defined twice (${attr.name}, ${attr.source})`,
        );
      }
      this.byStandardType.set(attr.type, attr);
    } else {
      this.byVendorType.set(vendorKey(attr.vendorId, attr.type), attr);
    }
  }

  byNameOrUndefined(name: string): ResolvedAttribute | undefined {
    return this.byName.get(name.toLowerCase());
  }

  standard(type: number): ResolvedAttribute | undefined {
    return this.byStandardType.get(type);
  }

  vendor(vendorId: number, type: number): ResolvedAttribute | undefined {
    return this.byVendorType.get(vendorKey(vendorId, type));
  }

  vendorName(vendorId: number): string | undefined {
    return this.vendorNames.get(vendorId);
  }

  all(): ResolvedAttribute[] {
    return [...this.byName.values()];
  }
}
