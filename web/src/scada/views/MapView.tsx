import { useEffect, useRef, useState } from 'react'
import type * as Leaflet from 'leaflet'
import { api, errorText, isAbsent } from '../api'
import { useApp, useFeed } from '../context'
import type { Item } from '../live'
import { NotAvailable } from '../ui'

interface GisConfig {
  latitude: number
  longitude: number
  zoom: number
  tile_url?: string
  attribution?: string
  base_layer?: string
  [k: string]: unknown
}

// Only what weir serves itself is loaded: a same-origin tile URL or GeoJSON base layer.
const sameOrigin = (u: unknown): u is string => typeof u === 'string' && u.startsWith('/') && !u.startsWith('//')

export interface Box {
  left: number
  top: number
  right: number
  bottom: number
}
const overlaps = (a: Box, b: Box) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom
const shift = (b: Box, dx: number, dy: number): Box => ({ left: b.left + dx, right: b.right + dx, top: b.top + dy, bottom: b.bottom + dy })

// Where a site label goes: beside its dot, and when that is under a marker icon (sites and GIS
// icons often share a place) or another label, beside the icon instead — right, left, below,
// above; the first place that covers nothing wins (else the first beside the icon). Pure: boxes in
// screen pixels; `at` is the site's point, `w`/`h` the label's size.
export type Placement = { direction: 'right' | 'left' | 'top' | 'bottom'; offset: [number, number] }
export function placeLabel(at: { x: number; y: number }, w: number, h: number, taken: Box[], clear = 20): Placement {
  const box = (p: Placement): Box => {
    const [dx, dy] = p.offset
    const x = at.x + dx
    const y = at.y + dy
    if (p.direction === 'right') return { left: x, right: x + w, top: y - h / 2, bottom: y + h / 2 }
    if (p.direction === 'left') return { left: x - w, right: x, top: y - h / 2, bottom: y + h / 2 }
    if (p.direction === 'bottom') return { left: x - w / 2, right: x + w / 2, top: y, bottom: y + h }
    return { left: x - w / 2, right: x + w / 2, top: y - h, bottom: y }
  }
  const candidates: Placement[] = [
    { direction: 'right', offset: [5, 0] },
    { direction: 'right', offset: [clear, 0] },
    { direction: 'left', offset: [-clear, 0] },
    { direction: 'bottom', offset: [0, clear] },
    { direction: 'top', offset: [0, -clear] },
    { direction: 'left', offset: [-5, 0] },
  ]
  return candidates.find((c) => !taken.some((t) => overlaps(box(c), t))) ?? candidates[1]
}

export function MapView() {
  const el = useRef<HTMLDivElement>(null)
  const map = useRef<{ L: typeof Leaflet; map: Leaflet.Map; markers: Map<string, Leaflet.Marker>; sites: Leaflet.CircleMarker[] } | null>(null)
  const [cfg, setCfg] = useState<GisConfig | null>(null)
  const [icons, setIcons] = useState<Item[]>([])
  const [absent, setAbsent] = useState('')
  const [note, setNote] = useState('')
  const gis = useFeed('gis')
  const { navigate } = useApp()

  // Moves each site label of the base layer off the marker icons and the labels placed before it.
  // Distances on screen change only with the zoom: run on zoom, when the layer or icons change.
  const declutter = () => {
    const m = map.current
    if (!m) return
    const taken: Box[] = []
    const origin = m.map.getContainer().getBoundingClientRect()
    for (const mk of m.markers.values()) {
      const r = mk.getElement()?.getBoundingClientRect()
      if (r) taken.push(shift(r, -origin.left, -origin.top))
    }
    for (const site of m.sites) {
      const tip = site.getTooltip()
      const el = tip?.getElement()
      if (!tip || !el) continue
      const at = m.map.latLngToContainerPoint(site.getLatLng())
      const p = placeLabel(at, el.offsetWidth, el.offsetHeight, taken)
      tip.options.direction = p.direction
      tip.options.offset = m.L.point(p.offset)
      tip.update()
      const r = el.getBoundingClientRect()
      taken.push(shift(r, -origin.left, -origin.top))
    }
  }

  useEffect(() => {
    Promise.all([api<GisConfig>('/api/gis/config'), api<{ items: Item[] }>('/api/gis/icons')]).then(
      ([c, i]) => {
        setCfg(c)
        setIcons(i.items)
      },
      (e) => setAbsent(isAbsent(e) ? 'No GIS module on this server.' : errorText(e)),
    )
  }, [])

  useEffect(() => {
    if (!cfg || !el.current || map.current) return
    let gone = false
    void Promise.all([import('leaflet'), import('leaflet/dist/leaflet.css')]).then(([L]) => {
      if (gone || !el.current) return
      const m = L.map(el.current, { attributionControl: true }).setView([cfg.latitude, cfg.longitude], cfg.zoom || 13)
      const base = Object.entries(cfg).find(([k, v]) => k !== 'tile_url' && sameOrigin(v) && /\.(geo)?json$/.test(v))?.[1] as string | undefined
      if (sameOrigin(cfg.tile_url)) {
        L.tileLayer(cfg.tile_url, { attribution: cfg.attribution ?? '' }).addTo(m)
      } else if (cfg.tile_url) {
        setNote('The configured tile server is on the internet and is not loaded; showing the local layer only.')
      }
      if (base) {
        fetch(base, { credentials: 'same-origin' })
          .then((r) => r.json())
          // Points of the base layer (site names) are drawn as small labelled dots: Leaflet's default
          // marker is an image this app does not ship.
          .then((g) => {
            L.geoJSON(g, {
              style: { color: '#888', weight: 1, fillOpacity: 0.05 },
              pointToLayer: (f, at) => {
                const dot = L.circleMarker(at, { radius: 3, color: '#666', weight: 1, fillOpacity: 0.6 }).bindTooltip(
                  String((f.properties as { name?: unknown } | null)?.name ?? ''),
                  { permanent: true, direction: 'right', offset: [5, 0], className: 'gis-site' },
                )
                map.current?.sites.push(dot)
                return dot
              },
            }).addTo(m)
            declutter()
          })
          .catch(() => setNote('The local base layer could not be loaded.'))
      }
      map.current = { L, map: m, markers: new Map(), sites: [] }
      m.on('zoomend', declutter)
      setIcons((i) => [...i])
    })
    return () => {
      gone = true
    }
  }, [cfg])

  useEffect(
    () => () => {
      map.current?.map.remove()
      map.current = null
    },
    [],
  )

  // Icons: the REST list, then live changes from feed `gis`.
  useEffect(() => {
    const m = map.current
    if (!m) return
    const live = new Map(gis.items.map((g) => [String(g.id), g]))
    for (const base of icons) {
      const ic = { ...base, ...(live.get(String(base.id)) ?? {}) }
      const id = String(ic.id)
      const img = String(ic.image ?? '')
      const icon = sameOrigin(img)
        ? m.L.icon({ iconUrl: img, iconSize: [32, 32], iconAnchor: [16, 16], className: `gis-icon gis-${id}` })
        : m.L.divIcon({ html: '◉', className: `gis-icon gis-div gis-${id}`, iconSize: [24, 24] })
      let mk = m.markers.get(id)
      if (!mk) {
        mk = m.L.marker([Number(ic.latitude), Number(ic.longitude)], { icon, title: String(ic.label ?? id) }).addTo(m.map)
        m.markers.set(id, mk)
      } else mk.setIcon(icon)
      mk.getElement()?.setAttribute('data-image', img)
      const nav = String(ic.navigation ?? '')
      const popup = document.createElement('div')
      popup.append(Object.assign(document.createElement('b'), { textContent: String(ic.label ?? id) }))
      popup.append(Object.assign(document.createElement('div'), { textContent: `${String(ic.state || ic.source || '')} ${String(ic.text ?? '')}` }))
      if (nav) {
        const b = Object.assign(document.createElement('button'), { textContent: `Open ${nav}` })
        b.onclick = () => {
          const [kind, arg] = nav.split('/')
          if (kind === 'stream' || kind === 'streams') navigate(`streams?stream=${encodeURIComponent(arg ?? '')}`)
          else navigate(kind.toLowerCase())
        }
        popup.append(b)
      }
      mk.bindPopup(popup)
    }
    declutter()
  })

  if (absent) return <NotAvailable what="Map">{absent}</NotAvailable>
  return (
    <div className="map-view">
      {note && <p className="muted">{note}</p>}
      <div ref={el} className="map" data-testid="map" />
    </div>
  )
}
