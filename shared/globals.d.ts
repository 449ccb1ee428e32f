// The few web-standard globals the pure core uses; they exist in workerd, Node 20 and browsers alike.
// Declared here so `shared/` compiles with no ambient runtime types (tsconfig in this folder).
declare const crypto: {
  subtle: { digest(algorithm: 'SHA-256', data: ArrayBufferView | ArrayBuffer): Promise<ArrayBuffer> };
  getRandomValues<T extends ArrayBufferView>(array: T): T;
};
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: ArrayBufferView | ArrayBuffer): string;
}
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
/** Base64 of a string of byte-valued characters, and back (throws on other characters). */
declare function btoa(data: string): string;
declare function atob(data: string): string;
declare const console: { log(...args: unknown[]): void; warn(...args: unknown[]): void };
declare namespace WebAssembly {
  class Module {}
  class Instance {
    constructor(module: Module, imports?: Imports);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
  type Imports = Record<string, Record<string, unknown>>;
  function validate(bytes: ArrayBufferView | ArrayBuffer): boolean;
  function instantiate(module: Module, imports?: Imports): Promise<Instance>;
}
