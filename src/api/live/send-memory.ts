/** The bytes of one frame, shared by every connection that sends it; `holders`: its sends not yet written out. */
export interface Frame { readonly data: Buffer; holders: number }

export const frameOf = (text: string): Frame => ({ data: Buffer.from(text), holders: 0 })

/**
 * The send memory of every WebSocket client together: the bytes of the frames some connection has queued and not
 * yet handed to the operating system. A frame shared by many connections counts once, as it is held once.
 */
export class SendMemory {
  bytes = 0

  hold(frame: Frame): void {
    if (frame.holders++ === 0) this.bytes += frame.data.length
  }

  release(frame: Frame): void {
    if (--frame.holders === 0) this.bytes -= frame.data.length
  }
}
