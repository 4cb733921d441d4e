import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { INestApplication } from '@nestjs/common';
import type { Request, Response } from 'express';
import { problem } from '../http/problem.filter';

export interface StudioOptions {
  /** The Studio's built files (`dist/apps/studio`): `index.html` and the hashed bundles under `static/`. */
  readonly root: string;
  /** Pre-filled in the page: only the embedded mode has a dev key to offer, and it listens on loopback only. */
  readonly devApiKey?: string;
}

/** Where the page asks for its settings; always answered, so the page never meets a 404. */
export const STUDIO_CONFIG_PATH = '/studio-config.json';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/**
 * True when `host` (the request's Host header) names this process on loopback at the port
 * it listens on. A page of another site that rebinds its own name to 127.0.0.1 reaches the
 * same socket but sends its own name as Host, so it never reads the dev key.
 */
export function isLoopbackHost(host: string | undefined, listeningPort: number): boolean {
  const [name, port] = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec((host ?? '').toLowerCase())?.slice(1) ?? [];
  const portMatches = port === undefined ? listeningPort === 80 : Number(port) === listeningPort;
  return LOOPBACK_NAMES.includes(name ?? '') && portMatches;
}

/**
 * The page may talk to its own origin only, show images it fetched into blob: URLs, and is
 * never framed. Vite emits no inline script; React sets styles through the DOM, which CSP allows.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self' blob:",
  "style-src 'self'",
  "script-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Serves darkroom Studio at `/` (issue 7): a static single-page app that talks to the public
 * API like any other client. Routing is by URL hash, so only `/`, `/index.html` and
 * `/static/*` are files; every API path stays the API's.
 */
export function serveStudio(app: INestApplication, options: StudioOptions): void {
  const config = { dev_api_key: options.devApiKey ?? null };
  app.getHttpAdapter().get(STUDIO_CONFIG_PATH, (request: Request, response: Response) => {
    response.setHeader('Cache-Control', 'no-store');
    // Only a dev key is worth rebinding for; the gateway's settings hold none and are served at its public name.
    if (options.devApiKey !== undefined && !isLoopbackHost(request.headers.host, request.socket.localPort ?? 0)) {
      const refused = problem(403, 'loopback_host_only', 'The Studio settings are served to localhost, 127.0.0.1 or [::1] only.');
      response.status(403).type('application/problem+json').send(JSON.stringify(refused));
      return;
    }
    response.json(config);
  });
  if (!existsSync(join(options.root, 'index.html'))) {
    new Logger('Studio').warn(`Studio not built (no ${join(options.root, 'index.html')}); run \`npx nx run studio:build\`.`);
    return;
  }
  (app as NestExpressApplication).useStaticAssets(options.root, {
    index: 'index.html',
    fallthrough: true,
    setHeaders: (response, path) => {
      // Bundles are named by their content hash; the page itself is looked up again each time.
      if (path.endsWith('.html')) {
        response.setHeader('Cache-Control', 'no-cache');
        response.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
        response.setHeader('X-Content-Type-Options', 'nosniff');
        response.setHeader('Referrer-Policy', 'no-referrer');
      } else if (path.includes(`${join(options.root, 'static')}`)) {
        response.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
      }
    },
  });
}
