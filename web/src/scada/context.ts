import { createContext, useContext, useSyncExternalStore } from 'react'
import type { Me } from './api'
import type { Item, LiveSocket } from './live'

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

// Re-renders when anything live changed (at most once per frame); returns the socket.
export function useLive(): LiveSocket {
  const { live } = useApp()
  useSyncExternalStore(
    (l) => live.subscribe(l),
    () => live.version,
  )
  return live
}

export function useFeed(name: string): { items: Item[]; status: string; stale: boolean } {
  const live = useLive()
  const f = live.feed(name)
  return { items: [...f.items.values()], status: f.status, stale: live.conn !== 'online' }
}
