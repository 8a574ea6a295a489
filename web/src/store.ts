import { configureStore, createSlice, type PayloadAction } from '@reduxjs/toolkit';
import { useDispatch, useSelector, type TypedUseSelectorHook } from 'react-redux';
import { api, authSlice } from './api/client';

export type ThemeMode = 'light' | 'dark';

const initialMode = (): ThemeMode => {
  const saved = localStorage.getItem('qv.theme');
  if (saved === 'light' || saved === 'dark') return saved;
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
};

export const uiSlice = createSlice({
  name: 'ui',
  initialState: { mode: initialMode() },
  reducers: {
    toggleMode(state) {
      state.mode = state.mode === 'dark' ? 'light' : 'dark';
      localStorage.setItem('qv.theme', state.mode);
    },
    setMode(state, action: PayloadAction<ThemeMode>) {
      state.mode = action.payload;
    },
  },
});

export const store = configureStore({
  reducer: { [api.reducerPath]: api.reducer, auth: authSlice.reducer, ui: uiSlice.reducer },
  middleware: (gDM) => gDM().concat(api.middleware),
});

export type RootState = ReturnType<typeof store.getState>;
export type AppDispatch = typeof store.dispatch;
export const useAppDispatch = () => useDispatch<AppDispatch>();
export const useAppSelector: TypedUseSelectorHook<RootState> = useSelector;
export const { toggleMode } = uiSlice.actions;
