// An expression field checked as you type by weir's own compiler (POST /api/expression/check,
// debounced): the type when it compiles, else the message with its column marked under the text;
// datapoint ids completed from /api/datapoints (the word at the caret).
import { useEffect, useRef, useState } from 'react'
import { call } from '../editor-common/http'

export type ExpressionKind = 'rule' | 'animation' | 'action'

interface Check {
  ok: boolean
  type?: string
  error?: string
  line?: number
  column?: number
}

const WORD = /[A-Za-z0-9_@.]*$/

export function ExpressionInput({ value, kind, ids, label, onChange }: { value: string; kind: ExpressionKind; ids: string[]; label: string; onChange: (v: string) => void }) {
  const [check, setCheck] = useState<Check | null>(null)
  const [caret, setCaret] = useState(-1)
  const ref = useRef<HTMLInputElement>(null)
  useEffect(() => {
    let live = true
    const t = setTimeout(() => {
      void call<Check>('/api/expression/check', { json: { expression: value, kind } }).then((r) => {
        if (!live) return
        if (r.ok) setCheck(r.body)
        else setCheck({ ok: false, error: r.error!.message })
      })
    }, 300)
    return () => {
      live = false
      clearTimeout(t)
    }
  }, [value, kind])

  const before = caret >= 0 ? value.slice(0, caret) : ''
  const word = caret >= 0 ? (WORD.exec(before)?.[0] ?? '') : ''
  const suggestions = word.length >= 1 && kind !== 'animation' ? ids.filter((id) => id.toLowerCase().includes(word.toLowerCase()) && id !== word).slice(0, 8) : []
  const col = check && !check.ok && check.column ? check.column - 1 : -1

  function pick(id: string) {
    const start = caret - word.length
    const next = value.slice(0, start) + id + value.slice(caret)
    onChange(next)
    setCaret(start + id.length)
    requestAnimationFrame(() => {
      ref.current?.focus()
      ref.current?.setSelectionRange(start + id.length, start + id.length)
    })
  }

  return (
    <span className={'expr' + (check && !check.ok ? ' expr-bad' : '')} data-kind={kind}>
      <input
        ref={ref}
        className="mono"
        aria-label={label}
        aria-invalid={check && !check.ok ? true : undefined}
        spellCheck={false}
        value={value}
        onChange={(e) => {
          onChange(e.target.value)
          setCaret(e.target.selectionStart ?? -1)
        }}
        onKeyUp={(e) => setCaret(e.currentTarget.selectionStart ?? -1)}
        onClick={(e) => setCaret(e.currentTarget.selectionStart ?? -1)}
        onBlur={() => setTimeout(() => setCaret(-1), 200)}
      />
      {suggestions.length > 0 && (
        <span className="completions" role="listbox" aria-label="Datapoints">
          {suggestions.map((id) => (
            <button type="button" role="option" aria-selected={false} key={id} className="mono" onMouseDown={(e) => e.preventDefault()} onClick={() => pick(id)}>
              {id}
            </button>
          ))}
        </span>
      )}
      {col >= 0 && (
        <span className="expr-mark mono" aria-hidden="true">
          {value.slice(0, col)}
          <mark data-column={col + 1}>{value.slice(col, col + 1) || ' '}</mark>
          {value.slice(col + 1)}
        </span>
      )}
      {check && (
        <span className={'expr-status small ' + (check.ok ? 'muted' : 'error')} role={check.ok ? undefined : 'alert'} data-ok={check.ok} data-column={check.column}>
          {check.ok ? `✓ compiles (${check.type})` : `✕ ${check.line ? `line ${check.line}, column ${check.column}: ` : ''}${check.error}`}
        </span>
      )}
    </span>
  )
}
