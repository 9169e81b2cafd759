import { defineConfig } from 'vite';

// A static build (dist/) that the Python tests serve from 127.0.0.1; see scripts/webforms-build.sh.
export default defineConfig({
  base: './',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 10000,
    rollupOptions: {
      // Web Forms' bundle uses eval in a dependency; the page only ever loads our own forms.
      onwarn(warning, warn) {
        if (warning.code === 'EVAL') return;
        warn(warning);
      },
    },
  },
});
