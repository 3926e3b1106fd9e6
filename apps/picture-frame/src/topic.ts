/**
 * The frame's topic: every picture and viewer count is published here, and the page subscribes
 * to it (public/index.html carries the same value in <meta name="tidings-topic">).
 */
export const FRAME_TOPIC = 'https://tidings.local/picture-frame';

/** Event types on the topic. */
export const PICTURE_EVENT = 'picture';
export const VIEWERS_EVENT = 'viewers';
