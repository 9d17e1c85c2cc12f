// Runs around every MongoDB test file: each starts from a wiped database, says which server it runs against,
// and fails if the stand-in refused anything meanwhile (a command, field or operator it does not implement:
// the adapter must not come to depend on something the stand-in cannot vouch for).
import { afterAll, beforeAll, expect } from "vitest";
import { REAL_SERVER, SERVER_KIND, standinComplaints, wipeStore } from "./harness";

beforeAll(async () => {
  console.log(`[workers-mongodb] these tests run against ${SERVER_KIND}`);
  await wipeStore();
});

afterAll(async () => {
  if (!REAL_SERVER) expect(await standinComplaints(), "the MongoDB stand-in refused something the adapter sent").toEqual([]);
});
