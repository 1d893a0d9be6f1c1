import { createRoot } from 'react-dom/client'
import { EditorApp } from '../editor-common/EditorApp'
import { SecurityEditor, SECTIONS } from './SecurityEditor'
import '../scada/scada.css'
import '../editor-common/editor.css'

document.documentElement.dataset.theme = localStorage.getItem('weir.theme') === 'dark' ? 'dark' : 'light'
createRoot(document.getElementById('weir-editor')!).render(
  <EditorApp app="security_editor" title="security editor" sections={SECTIONS} render={(me, section) => <SecurityEditor me={me.user} section={section} />} />,
)
