import assert from "node:assert/strict";
import { readdirSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { cosae } from "../helpers/cosae-cli.js";
import { corpusPath, stories260kBin } from "../helpers/stories260k.js";
import { spawnServe } from "./serve-process.js";

/** `cosae serve`'s flags: every mistake is caught before any work, and the default binding is loopback. */
let folder = "";
let data = "";
let sae = "";

before(async () => {
  folder = await mkdtemp(join(tmpdir(), "cosae-serve-command-"));
  data = join(folder, "activations");
  const harvest = cosae(
    "harvest",
    ...["--model", stories260kBin, "--text", corpusPath, "--hook", "blocks.3.hook_resid_pre"],
    ...["--contextLength", "64", "--maxTokens", "1500", "--out", data],
  );
  assert.equal(harvest.code, 0, harvest.stderr);
  const run = join(folder, "run");
  const train = cosae(
    "train",
    ...["--data", data, "--m", "32", "--k", "4", "--batchSize", "128", "--steps", "20", "--out", run],
  );
  assert.equal(train.code, 0, train.stderr);
  sae = join(run, "sae");
});

after(async () => {
  if (folder) await rm(folder, { recursive: true, force: true });
});

/** Every file under `root` with its size and modification time: what "nothing written" compares. */
function snapshot(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: "utf8" })
    .map((f) => {
      const s = statSync(join(root, f));
      return `${f} ${s.size} ${s.mtimeMs}`;
    })
    .sort();
}

/** A .npy of float32 rows [4, 64] with no token ids beside it. */
function writeTokenlessNpy(path: string): void {
  const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 64), }";
  const padded = `${header.padEnd(128 - 10 - 1, " ")}\n`;
  const prefix = Buffer.alloc(10);
  prefix.write("\x93NUMPY", 0, "latin1");
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(padded.length, 8);
  writeFileSync(path, Buffer.concat([prefix, Buffer.from(padded, "latin1"), Buffer.alloc(4 * 64 * 4)]));
}

test("bad flags, a tokenless dataset or a taken port fail at once with a clear message, writing nothing", async () => {
  const tokenless = join(folder, "tokenless.npy");
  writeTokenlessNpy(tokenless);
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
  const takenPort = (taken.address() as { port: number }).port;
  const before = snapshot(folder);
  const cases: [string[], RegExp][] = [
    [[sae], /serve needs --data: an activation dataset with token ids/],
    [[], /one or two SAE folders, got 0/],
    [[sae, sae, sae, "--data", data], /one or two SAE folders, got 3/],
    [[sae, "--data", data, "--port", "abc"], /--port: expected a whole number from 0 to 65535, got "abc"/],
    [[sae, "--data", data, "--port", "70000"], /--port: .* got "70000"/],
    [[sae, "--data", data, "--port=-1"], /--port: .* got "-1"/],
    [[sae, "--data", data, "--port", "80.5"], /--port: .* got "80\.5"/],
    [[sae, "--data", data, "--tokens", "0"], /--tokens: expected a whole number from 1 up, got "0"/],
    [[sae, "--data", data, "--host", "a b"], /--host: expected a host name or IP address/],
    [[sae, "--data", data, "--colour"], /Unknown option '--colour'/],
    [[sae, "--data", join(folder, "nothing-here")], /nothing-here: not found/],
    [[sae, "--data", tokenless], /no token ids/],
    [[sae, "--data", data, "--model", join(folder, "no-model.bin")], /--model .*no-model\.bin: not found/],
    [[join(folder, "no-sae"), "--data", data], /no-sae does not exist; expected an SAE folder/],
    [
      [sae, "--data", data, "--port", String(takenPort)],
      /cannot listen on 127\.0\.0\.1:\d+: the port is in use/,
    ],
    [["--train"], /serve --train needs --data: the activation dataset the page trains on/],
    [["--train", "--data", join(folder, "nothing-here")], /nothing-here: not found/],
    [["--train", "--data", data, "--port", String(takenPort)], /the port is in use/],
    [[sae, "--train", "--data", tokenless], /no token ids/],
  ];
  try {
    for (const [args, message] of cases) {
      const r = cosae("serve", ...args);
      const what = `cosae serve ${args.join(" ")}`;
      assert.equal(r.code, 1, `${what}: ${r.stderr}`);
      assert.match(r.stderr, message, what);
      assert.doesNotMatch(r.stdout, /serving/, what);
      assert.doesNotMatch(r.stderr, /records|encode/, `${what} started building`);
    }
  } finally {
    taken.close();
  }
  assert.deepEqual(snapshot(folder), before);
});

test("serve binds 127.0.0.1 unless --host says otherwise, and then warns that it is reachable from the network", async () => {
  const local = await spawnServe([sae, "--data", data, "--port", "0"]);
  try {
    assert.match(local.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.doesNotMatch(local.stderr(), /warning/);
    const page = await fetch(local.url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /cosae feature browser/);
    assert.match(local.stderr(), /built .*feature-cache\.activations\.bin/);
  } finally {
    assert.equal(await local.stop(), 0);
  }
  const open = await spawnServe([sae, "--data", data, "--port", "0", "--host", "0.0.0.0"]);
  try {
    assert.match(open.url, /^http:\/\/0\.0\.0\.0:\d+\/$/);
    assert.match(open.stderr(), /warning: bound to 0\.0\.0\.0: the browser is reachable from the network/);
    // the cache of the first run is reused
    assert.match(open.stderr(), /reusing .*feature-cache\.activations\.bin/);
  } finally {
    assert.equal(await open.stop(), 0);
  }
});

test("--cacheDir keeps the caches out of the SAE folders, one file per SAE path", async () => {
  const caches = join(folder, "caches");
  const saeFiles = snapshot(sae);
  const served = await spawnServe([sae, "--data", data, "--port", "0", "--cacheDir", caches]);
  try {
    const page = await fetch(new URL("/api/saes", served.url));
    assert.equal(page.status, 200);
  } finally {
    assert.equal(await served.stop(), 0);
  }
  assert.deepEqual(snapshot(sae), saeFiles, "the SAE folder is untouched");
  const written = readdirSync(caches);
  assert.equal(written.length, 1);
  assert.match(written[0]!, /^feature-cache\.sae-[0-9a-f]{8}\.activations\.bin$/);
  assert.match(served.stderr(), new RegExp(`built ${caches}/feature-cache`));
});
