import { defineConfig } from "vite";

// Tauri serves the built files itself; nothing is loaded from the network at run time.
export default defineConfig({
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
});
