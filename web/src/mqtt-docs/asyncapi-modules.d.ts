// The AsyncAPI React component's parser-less entry point has no package "exports" entry of its
// own; its declarations live under lib/types.
declare module '@asyncapi/react-component/lib/esm/without-parser' {
  import AsyncApiComponent from '@asyncapi/react-component/lib/types/without-parser'
  export default AsyncApiComponent
}
