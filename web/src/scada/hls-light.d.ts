// hls.js ships one declaration file; its light build (no subtitles, alternate audio or DRM:
// what the operator's HLS clips need) has the same API.
declare module 'hls.js/light' {
  export { default } from 'hls.js'
}
