/** What the HTTP API shows of an example (never the embeddings); shared by the example and suspect stores. */
export interface ExampleInfo {
  id: string;
  label: string;
  contentType: string;
  bytes: number;
  width: number;
  height: number;
  backboneId: string;
  createdAt: string;
  updatedAt: string;
}
