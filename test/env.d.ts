declare namespace Cloudflare {
  interface Env {
    /** test-only: the fixture pack built by test/helpers/fixture-pack.ts */
    FIXTURES: ArrayBuffer;
  }
}
