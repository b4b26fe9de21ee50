// Tailwind CSS v3 configuration for Steward.
//
// Tailwind keeps only the classes it finds in the files below, so every place
// that writes class names (templates, the Go they generate, handlers that build
// class strings) must be listed. Rebuild with `make css` after changing them.

/** @type {import('tailwindcss').Config} */
module.exports = {
  // Dark mode follows the system setting (prefers-color-scheme), no toggle.
  darkMode: "media",
  content: ["./views/**/*.templ", "./views/**/*.go", "./handlers/**/*.go"],
  theme: {
    extend: {},
  },
  plugins: [],
};
