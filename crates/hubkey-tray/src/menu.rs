//! The tray icon and its menu, on the GTK thread (tray-icon's AppIndicator backend and its menus live there).
//! What the menu says comes from hubkey-shell's `tray_menu`, as in hubkey-desktop.

use std::cell::RefCell;

use hubkey_shell::tray_menu::{icon_png, Health, Item};
use tray_icon::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem};
use tray_icon::{Icon, TrayIcon, TrayIconBuilder};

/// The id of the tray icon; hubkey-desktop's Tauri tray uses the same.
pub const TRAY_ID: &str = "main";

thread_local! {
    /// The tray icon, on the GTK thread only.
    static TRAY: RefCell<Option<TrayIcon>> = const { RefCell::new(None) };
}

/// Decodes one of the tray PNGs (64×64 RGBA) into an icon.
pub fn icon(health: Health) -> Result<Icon, String> {
    let decoder = png::Decoder::new(std::io::Cursor::new(icon_png(health)));
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| "the tray icon is too large".to_string())?;
    let mut rgba = vec![0; size];
    let info = reader.next_frame(&mut rgba).map_err(|e| e.to_string())?;
    if info.color_type != png::ColorType::Rgba || info.bit_depth != png::BitDepth::Eight {
        return Err(format!(
            "the tray icon is {:?} {:?}, not 8-bit RGBA",
            info.color_type, info.bit_depth
        ));
    }
    rgba.truncate(info.buffer_size());
    Icon::from_rgba(rgba, info.width, info.height).map_err(|e| e.to_string())
}

fn menu(items: &[Item]) -> Result<Menu, String> {
    let menu = Menu::new();
    for item in items {
        let appended = match item {
            Item::Separator => menu.append(&PredefinedMenuItem::separator()),
            Item::Action { id, label, enabled } => {
                menu.append(&MenuItem::with_id(id.as_str(), label, *enabled, None))
            }
            Item::Check { id, label, checked } => {
                menu.append(&CheckMenuItem::with_id(id.as_str(), label, true, *checked, None))
            }
        };
        appended.map_err(|e| e.to_string())?;
    }
    Ok(menu)
}

/// Builds the tray icon with its first menu. On the GTK thread, after `gtk::init`.
pub fn build(items: &[Item], health: Health) -> Result<(), String> {
    let tray = TrayIconBuilder::new()
        .with_id(TRAY_ID)
        .with_icon(icon(health)?)
        .with_menu(Box::new(menu(items)?))
        .with_menu_on_left_click(true)
        .build()
        .map_err(|e| e.to_string())?;
    TRAY.with(|t| *t.borrow_mut() = Some(tray));
    Ok(())
}

/// Replaces the menu and the icon. On the GTK thread.
pub fn update(items: &[Item], health: Health) {
    let result = TRAY.with(|t| -> Result<(), String> {
        let slot = t.borrow();
        let Some(tray) = slot.as_ref() else {
            return Ok(());
        };
        tray.set_menu(Some(Box::new(menu(items)?)));
        tray.set_icon(Some(icon(health)?)).map_err(|e| e.to_string())
    });
    if let Err(e) = result {
        tracing::warn!("cannot update the tray: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tray_icon_decodes_as_8_bit_rgba() {
        for health in [Health::Fresh, Health::Attention, Health::NeedsReauth] {
            icon(health).unwrap_or_else(|e| panic!("{health:?}: {e}"));
        }
    }
}
