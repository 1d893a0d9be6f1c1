import { createRoot } from 'react-dom/client'
import { App } from './App'
import './scada.css'

document.documentElement.dataset.theme = localStorage.getItem('weir.theme') === 'dark' ? 'dark' : 'light'
createRoot(document.getElementById('weir-scada')!).render(<App />)
