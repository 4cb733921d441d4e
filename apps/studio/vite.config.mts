import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npx nx run studio:serve` proxies the API to a darkroom on :3000 (`npm start`).
const api = 'http://127.0.0.1:3000';

export default defineConfig({
  base: '/',
  plugins: [react()],
  build: {
    outDir: '../../dist/apps/studio',
    emptyOutDir: true,
    // Served at /static/*: nothing under it can shadow an API path.
    assetsDir: 'static',
    sourcemap: true,
  },
  server: {
    proxy: {
      ...Object.fromEntries(['/v1', '/admin'].map((path) => [path, api])),
      // darkroom serves the dev key to a loopback Host only; Vite's own host check guards this server.
      '/studio-config.json': { target: api, changeOrigin: true },
    },
  },
});
