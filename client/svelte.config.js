// Svelte 5 compiles `<script lang="ts">` natively; no preprocessor needed. svelte-check reads this file.
export default {
  compilerOptions: { runes: true },
};
