export { isUuid } from '@darkroom/kernel';
