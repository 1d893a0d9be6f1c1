import { createContext, useContext, useMemo, useSyncExternalStore } from 'react'
import type { Me } from './api'
import type { FeedState, Item, LiveSocket } from './live'

export interface AppContext {
  live: LiveSocket
  me: Me
  navigate: (path: string) => void
}

export const Ctx = createContext<AppContext | null>(null)

export function useApp(): AppContext {
  const c = useContext(Ctx)
  if (!c) throw new Error('outside the app')
  return c
}

export function useCan(permission: string): boolean {
  return useApp().me.permissions.includes(permission)
}

// Re-renders when anything live changed (at most once per frame); returns the socket. For small
// components only: a view should use useLiveSelect / useFeed, which re-render on their own feed.
export function useLive(): LiveSocket {
  const { live } = useApp()
  useSyncExternalStore(
    (l) => live.subscribe(l),
    () => live.version,
  )
  return live
}

// Re-renders only when select(live) changes (compared with Object.is, checked at most once per
// frame): select must be cheap (it runs on every live change) and return a primitive.
export function useLiveSelect<T>(select: (live: LiveSocket) => T): T {
  const { live } = useApp()
  return useSyncExternalStore(
    (l) => live.subscribe(l),
    () => select(live),
  )
}

// One feed's state, re-rendering only when that feed or the connection changes. `map` is the
// feed's own map (do not modify); `keys` changes only when items come or go (a snapshot, a new
// id), so a list derived from the set of ids can be memoised on it.
export function useFeedMap(name: string): { map: Map<string, Item>; version: number; keys: number; status: FeedState['status']; stale: boolean } {
  const { live } = useApp()
  useLiveSelect((l) => `${l.feed(name).version}|${l.feed(name).status}|${l.conn}`)
  const f = live.feed(name)
  return { map: f.items, version: f.version, keys: f.keys, status: f.status, stale: live.conn !== 'online' }
}

export function useFeed(name: string): { items: Item[]; status: string; stale: boolean } {
  const { map, version, status, stale } = useFeedMap(name)
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const items = useMemo(() => [...map.values()], [map, version])
  return { items, status, stale }
}
