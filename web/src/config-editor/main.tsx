import { createRoot } from 'react-dom/client'
import { EditorApp } from '../editor-common/EditorApp'
import { ConfigEditor, SECTIONS } from './ConfigEditor'
import '../scada/scada.css'
import '../editor-common/editor.css'

document.documentElement.dataset.theme = localStorage.getItem('weir.theme') === 'dark' ? 'dark' : 'light'
createRoot(document.getElementById('weir-editor')!).render(
  <EditorApp app="config_editor" title="config editor" sections={SECTIONS} render={(me, section, go) => <ConfigEditor me={me} section={section} go={go} />} />,
)
