/** esbuild bundles the stylesheet an entry imports into console.css. */
declare module '*.css';
