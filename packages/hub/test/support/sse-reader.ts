// The reader lives in @tidings/test-support, shared with the Picture Frame's tests.
export { SseReader, type StreamEnd } from '@tidings/test-support';
