import { useMemo, type ReactNode } from 'react';
import { Navigate, NavLink, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import {
  AppBar, Box, Button, Container, CssBaseline, IconButton, ThemeProvider, Toolbar, Tooltip, Typography, createTheme,
} from '@mui/material';
import { api, signOut as signOutAction, useLogoutMutation } from './api/client';
import { toggleMode, useAppDispatch, useAppSelector } from './store';
import LoginPage from './pages/LoginPage';
import SignupPage from './pages/SignupPage';
import DashboardPage from './pages/DashboardPage';
import ComposerPage from './pages/ComposerPage';
import JobPage from './pages/JobPage';
import JobsPage from './pages/JobsPage';
import AccountPage from './pages/AccountPage';

const NAV = [
  ['/', 'Dashboard'],
  ['/composer', 'Composer'],
  ['/jobs', 'Jobs'],
  ['/account', 'Account'],
] as const;

function RequireAuth({ children }: { children: ReactNode }) {
  const session = useAppSelector((s) => s.auth.session);
  const signedOut = useAppSelector((s) => s.auth.signedOut);
  const location = useLocation();
  if (!session) return <Navigate to="/login" replace state={signedOut ? undefined : { from: location.pathname }} />;
  return <>{children}</>;
}

export default function App() {
  const mode = useAppSelector((s) => s.ui.mode);
  const session = useAppSelector((s) => s.auth.session);
  const dispatch = useAppDispatch();
  const navigate = useNavigate();
  const [logout] = useLogoutMutation();
  const theme = useMemo(
    () =>
      createTheme({
        // Status colours chosen for WCAG AA contrast with their chip text in each mode.
        palette:
          mode === 'dark'
            ? { mode, primary: { main: '#b39dff' }, secondary: { main: '#ffb3d9' }, success: { main: '#4ade80' }, warning: { main: '#fbbf24' }, info: { main: '#7dd3fc' }, error: { main: '#f87171' } }
            : { mode, primary: { main: '#4b2fc4' }, secondary: { main: '#a0166b' }, success: { main: '#15803d' }, warning: { main: '#b45309' }, info: { main: '#0369a1' }, error: { main: '#b91c1c' } },
        components: { MuiButton: { defaultProps: { disableElevation: true } } },
      }),
    [mode],
  );

  const signOut = async () => {
    if (session) await logout({ refresh_token: session.refresh }).catch(() => undefined);
    dispatch(signOutAction());
    dispatch(api.util.resetApiState());
    navigate('/login', { replace: true });
  };

  return (
    <ThemeProvider theme={theme}>
      <CssBaseline />
      <a href="#main" className="skip-link" style={{ position: 'absolute', left: -9999 }} onFocus={(e) => (e.currentTarget.style.left = '8px')} onBlur={(e) => (e.currentTarget.style.left = '-9999px')}>
        Skip to content
      </a>
      <AppBar position="static" color="default" elevation={1} component="header">
        <Toolbar sx={{ flexWrap: 'wrap', gap: 1 }}>
          <Typography component="span" variant="h6" sx={{ mr: 2, fontWeight: 700 }}>
            QuantumVibe
          </Typography>
          {session && (
            <Box component="nav" aria-label="Main" sx={{ display: 'flex', flexWrap: 'wrap', gap: 0.5, flexGrow: 1 }}>
              {NAV.map(([to, label]) => (
                <Button key={to} component={NavLink} to={to} end={to === '/'} color="inherit"
                  sx={{ '&.active': { color: 'primary.main', textDecoration: 'underline', textUnderlineOffset: 6 } }}>
                  {label}
                </Button>
              ))}
            </Box>
          )}
          {!session && <Box sx={{ flexGrow: 1 }} />}
          <Tooltip title={`Switch to ${mode === 'dark' ? 'light' : 'dark'} theme`}>
            <IconButton onClick={() => dispatch(toggleMode())} aria-label={`Switch to ${mode === 'dark' ? 'light' : 'dark'} theme`} color="inherit">
              <span aria-hidden>{mode === 'dark' ? '☀' : '☾'}</span>
            </IconButton>
          </Tooltip>
          {session && (
            <Button color="inherit" onClick={signOut}>
              Log out
            </Button>
          )}
        </Toolbar>
      </AppBar>
      <Container component="main" id="main" maxWidth="xl" sx={{ py: 3 }}>
        <Routes>
          <Route path="/login" element={<LoginPage />} />
          <Route path="/signup" element={<SignupPage />} />
          <Route path="/" element={<RequireAuth><DashboardPage /></RequireAuth>} />
          <Route path="/composer" element={<RequireAuth><ComposerPage /></RequireAuth>} />
          <Route path="/jobs" element={<RequireAuth><JobsPage /></RequireAuth>} />
          <Route path="/jobs/:id" element={<RequireAuth><JobPage /></RequireAuth>} />
          <Route path="/account" element={<RequireAuth><AccountPage /></RequireAuth>} />
          <Route path="*" element={<Typography variant="h4" component="h1">Page not found</Typography>} />
        </Routes>
      </Container>
    </ThemeProvider>
  );
}
