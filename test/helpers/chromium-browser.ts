import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type LaunchOptions } from "playwright-core";

/**
 * The Chromium that the feature browser's tests and `npm run bench:browser`
 * drive through playwright-core: COSAE_CHROMIUM when set, else the build from
 * the npm package @sparticuz/chromium that scripts/setup.mjs unpacked (with the
 * libraries and fonts it carries), else Debian's /usr/bin/chromium.
 */
export interface ChromiumFound {
  executablePath: string;
  /** added to the browser's environment */
  env: Record<string, string>;
  source: string;
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const manifestPath = join(repoRoot, "node_modules", ".cache", "cosae", "chromium.json");
const debianChromium = "/usr/bin/chromium";

/** The browser to use, or why there is none. */
export function findChromium(): { found: ChromiumFound; missing: null } | { found: null; missing: string } {
  const chosen = process.env.COSAE_CHROMIUM;
  if (chosen) {
    if (existsSync(chosen))
      return { found: { executablePath: chosen, env: {}, source: "COSAE_CHROMIUM" }, missing: null };
    return { found: null, missing: `COSAE_CHROMIUM names ${chosen}, which does not exist` };
  }
  if (existsSync(manifestPath)) {
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
      version: string;
      executablePath: string;
      env: Record<string, string>;
    };
    if (existsSync(manifest.executablePath))
      return {
        found: { ...manifest, source: `@sparticuz/chromium ${manifest.version}` },
        missing: null,
      };
  }
  if (existsSync(debianChromium))
    return { found: { executablePath: debianChromium, env: {}, source: "Debian" }, missing: null };
  return {
    found: null,
    missing: `no browser: run "node scripts/setup.mjs" (it unpacks @sparticuz/chromium into ${dirname(manifestPath)})`,
  };
}

/**
 * The flags that give headless Chromium a WebGPU adapter with no GPU: WebGPU is
 * off in headless Linux builds unless unsafe WebGPU is enabled, and then Dawn
 * runs on SwiftShader's Vulkan driver (the unpacked build carries
 * libvk_swiftshader.so beside the binary). Naming the adapter keeps a machine
 * that has a GPU on SwiftShader too, so a test sees the same adapter everywhere.
 * Found by trying the candidates with @sparticuz/chromium 147: the first flag
 * alone is enough there (even with --disable-gpu); --enable-features=Vulkan,
 * --use-vulkan=swiftshader, --disable-vulkan-surface and --use-angle=swiftshader
 * change nothing for WebGPU. Only a secure context (http://127.0.0.1, not
 * about:blank) sees navigator.gpu.
 */
export const webgpuSwiftShaderArgs = ["--enable-unsafe-webgpu", "--use-webgpu-adapter=swiftshader"] as const;

export interface ChromiumLaunchOptions extends LaunchOptions {
  /** give pages a WebGPU adapter (SwiftShader, see webgpuSwiftShaderArgs) */
  webgpu?: boolean;
}

/** Headless Chromium, or an error saying why there is none. */
export async function launchChromium(options: ChromiumLaunchOptions = {}): Promise<Browser> {
  const { found, missing } = findChromium();
  if (!found) throw new Error(`Chromium is missing: ${missing}`);
  const { webgpu = false, ...launchOptions } = options;
  return chromium.launch({
    executablePath: found.executablePath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      ...(webgpu ? webgpuSwiftShaderArgs : []),
    ],
    env: { ...process.env, ...found.env } as Record<string, string>,
    ...launchOptions,
  });
}
